from odoo import api, fields, models
from odoo.tools import SQL


class CreditDunningLine(models.Model):
    """One receivable item (an invoice, or one instalment of it) in one dunning communication, with its open
    amount on that day: the item's dunning history. Levels, ages and amounts are per item, on its own due date.

    Evidence from its creation: only the dunning run makes lines (as plain SQL inserts), nobody else changes them.
    A run inserts tens of thousands of lines: they store no more than the item, and take their customer, level,
    company and author from their communication (no log columns, fewer foreign keys to check on each insert).
    """

    _name = "credit.dunning.line"
    _inherit = ["credit.evidence.mixin"]
    _description = "Dunning Communication Line"
    _order = "date desc, communication_id desc, id"
    _log_access = False

    communication_id = fields.Many2one("credit.dunning.communication", required=True, index=True,
                                       ondelete="cascade", readonly=True)
    move_id = fields.Many2one("account.move", string="Invoice", required=True, readonly=True, index=True,
                              ondelete="cascade")
    # indexed by the unique (move_line_id, date) constraint
    move_line_id = fields.Many2one("account.move.line", string="Receivable Item", required=True, readonly=True,
                                   ondelete="cascade", help="The invoice's receivable line: one per instalment.")
    partner_id = fields.Many2one(related="communication_id.partner_id")
    company_id = fields.Many2one(related="communication_id.company_id")
    company_currency_id = fields.Many2one(related="company_id.currency_id", string="Company Currency")
    level_id = fields.Many2one(related="communication_id.level_id")
    date = fields.Date(related="communication_id.date", store=True)
    state = fields.Selection(related="communication_id.state")
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    date_due = fields.Date(string="Due Date", readonly=True)
    days_overdue = fields.Integer(readonly=True, help="Days past the due date when dunned; negative: before it.")
    amount_residual = fields.Monetary(string="Open Amount", readonly=True, currency_field="currency_id",
                                      help="Open amount in the invoice currency when dunned.")
    amount_residual_company = fields.Monetary(string="Open Amount (Company Currency)", readonly=True,
                                              currency_field="company_currency_id")

    _sql_constraints = [
        ("move_line_date_uniq", "unique(move_line_id, date)", "An item is dunned at most once a day."),
    ]

    @api.depends("move_id", "communication_id")
    def _compute_display_name(self):
        for line in self:
            line.display_name = f"{line.move_id.name} – {line.communication_id.display_name}"

    @api.model
    def _credit_current_levels_sql(self, condition):
        """SQL: each item's latest dunning line whose communication was not cancelled (its current level), among
        the lines matching ``condition`` (``dl``: the line, ``c``: its communication)."""
        return SQL(
            """
            SELECT DISTINCT ON (dl.move_line_id) dl.move_line_id, dl.move_id, c.partner_id, c.level_id, dl.date,
                   c.stage
              FROM credit_dunning_line dl
              JOIN credit_dunning_communication c ON c.id = dl.communication_id AND c.state != 'cancelled'
             WHERE %s
             ORDER BY dl.move_line_id, dl.date DESC, dl.id DESC
            """, condition)

    @api.model
    def _credit_current_levels(self, move_ids, open_only=False):
        """{invoice id: (level id, date)} in one query: the highest current level of the invoice's items (only
        those still open with ``open_only``), and the day it was reached."""
        if not move_ids:
            return {}
        self.env.flush_all()
        condition = SQL("dl.move_id = ANY(%s)", list(move_ids))
        if open_only:
            condition = SQL("%s AND dl.move_line_id IN (SELECT id FROM account_move_line WHERE move_id = ANY(%s) "
                            "AND reconciled IS NOT TRUE AND parent_state = 'posted')", condition, list(move_ids))
        rows = self.env.execute_query(SQL(
            """
            SELECT DISTINCT ON (cur.move_id) cur.move_id, cur.level_id, cur.date
              FROM (%s) cur
              JOIN credit_dunning_level lv ON lv.id = cur.level_id
             ORDER BY cur.move_id, cur.stage DESC, lv.offset_days DESC, cur.date DESC
            """, self._credit_current_levels_sql(condition)))
        return {move_id: (level_id, date) for move_id, level_id, date in rows}
