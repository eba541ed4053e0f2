"""Subjects: people, locations and businesses, each with its page, links and map."""
