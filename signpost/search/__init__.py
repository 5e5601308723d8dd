"""One search path for the patient pages, GP mode and the match API."""
