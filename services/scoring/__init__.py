"""scoring: point rules, the points ledger, the monthly cycle, rankings and star ratings."""
