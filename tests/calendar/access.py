EXPECTED = {
    "calendar.holidays": {"admin"},
    "calendar.edit_day": {"admin"},
    "calendar.delete_day": {"admin"},
}
URL_ARGS = {"calendar.edit_day": {"day_id": 1}, "calendar.delete_day": {"day_id": 1}}
