"""Administration: users and wards."""
