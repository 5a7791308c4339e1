"""Monthly nursing-quality report and list exports."""
