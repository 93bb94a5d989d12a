# pytest-odoo provides the Odoo registry; this file marks tests/ as the pytest root for cross-module tests.
