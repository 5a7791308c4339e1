"""Working days on the Chinese calendar (holidays and 调休 make-up workdays)."""
