"""Event-level analytics: per-event and per-opportunity computations on the
cleaned Engagement and Opportunities tables (analytics.md)."""
