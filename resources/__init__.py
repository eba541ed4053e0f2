"""Reference data shipped with SPOC Desk (the agreement as data, icons, styles)."""
