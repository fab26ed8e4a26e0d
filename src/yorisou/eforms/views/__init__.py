"""Screens of online applications: the citizen portal and My page (``portal``),
the staff back office (``office``) and the form builder (``builder``)."""
