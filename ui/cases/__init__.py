"""Cases through the tactical response process (Appendix 2a)."""
