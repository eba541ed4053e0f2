"""Corrections (clause 7.2): the register, what is outstanding, recording and sending corrections."""
