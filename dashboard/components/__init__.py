"""Pieces shared by the pages: grid settings, the contact dialog, the counselor picker and the
"scores for ..." line. Built once, so every page reads and behaves the same."""
