"""The synthetic city: its hospitals, the case-generator front and the hospitals' acts."""
