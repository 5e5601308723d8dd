"""Provider area: accounts, an organisation's listings, and public problem reports."""
