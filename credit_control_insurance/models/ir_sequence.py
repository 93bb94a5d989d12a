from odoo import api, models
from odoo.tools import SQL


class IrSequence(models.Model):
    _inherit = "ir.sequence"

    @api.model
    def _credit_next_by_code_batch(self, code, count):
        """``count`` next references of sequence ``code`` in the current company, as ``next_by_code`` gives
        them one by one, in one query for a standard sequence without date ranges (a daily run's many new
        records); other sequences are drawn one by one."""
        self.browse().check_access("read")
        sequence = self.search([("code", "=", code), ("company_id", "in", [self.env.company.id, False])],
                               order="company_id", limit=1)
        if not sequence or sequence.implementation != "standard" or sequence.use_date_range:
            return [self.next_by_code(code) for _index in range(count)]
        numbers = self.env.execute_query(SQL("SELECT nextval(%s) FROM generate_series(1, %s)",
                                             f"ir_sequence_{sequence.id:03d}", count))
        return [sequence.get_next_char(number) for (number,) in numbers]
