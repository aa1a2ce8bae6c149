"""有诉即办 case system: complaints with working-day deadlines, tracking, ratings, forwarding, Open311."""
