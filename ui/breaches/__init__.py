"""breaches"""
