"""Consent (sections 6.2, 6.3, 7.3): asking an originating desk, answering, and the register."""
