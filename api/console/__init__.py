"""The hotline staff console (`/console`): search-first answers, cases, handoffs, knowledge gaps, figures."""
