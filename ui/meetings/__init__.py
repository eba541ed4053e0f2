"""meetings"""
