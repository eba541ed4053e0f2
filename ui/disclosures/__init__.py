"""disclosures"""
