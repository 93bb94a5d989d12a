from dateutil.relativedelta import relativedelta

from odoo import Command, api, fields, models

# Demo ledger: xml id -> (months of history, monthly invoice, days late when paying, open recent invoices)
HISTORY = {
    "partner_shanghai_precision": (24, 80000.0, 0, 1),
    "partner_hangzhou_textiles": (24, 45000.0, 8, 1),
    "partner_shenzhen_volt": (18, 47000.0, 25, 2),
    "partner_nanjing_foods": (18, 20000.0, 2, 1),
    "partner_wuhan_steel": (15, 35000.0, 45, 3),
    "partner_chengdu_logistics": (12, 15000.0, 15, 2),
    "partner_xiamen_imports": (10, 18000.0, 5, 1),
    "partner_tianjin_machinery": (20, 40000.0, 70, 4),
    "partner_suzhou_smarthome": (2, 8000.0, 0, 0),
    "partner_qingdao_brewing": (1, 5000.0, 0, 1),
    "partner_guangzhou_solar": (6, 25000.0, 20, 1),
    "partner_dalian_marine": (8, 30000.0, 10, 1),
}


class CreditControlDemo(models.AbstractModel):
    _name = "credit.control.demo"
    _description = "Credit Control Demo Data"

    @api.model
    def _load_history(self):
        """Invoice and payment history of the demo customers, so that the first screen tells a story."""
        today = fields.Date.context_today(self)
        term = self.env["account.payment.term"].create({
            "name": "30 Days (demo)",
            "line_ids": [Command.create({"value": "percent", "value_amount": 100.0, "nb_days": 30})],
        })
        eur = self.env.ref("base.EUR")
        eur.active = True
        if not eur.rate_ids:  # before the first demo invoice
            self.env["res.currency.rate"].create({
                "currency_id": eur.id, "name": today - relativedelta(months=30), "rate": 0.92})
        partners = self.env["res.partner"]
        to_pay = []
        for xmlid, (months, amount, days_late, open_count) in HISTORY.items():
            partner = self.env.ref(f"credit_control.{xmlid}")
            partners |= partner
            moves = self.env["account.move"].create([{
                "move_type": "out_invoice",
                "partner_id": partner.id,
                # monthly, the latest one 5 to 15 days ago
                "invoice_date": today - relativedelta(months=months - 1 - i, days=5 + (i * 7) % 11),
                "invoice_payment_term_id": term.id,
                "currency_id": (eur if xmlid == "partner_xiamen_imports" else self.env.company.currency_id).id,
                "credit_disputed": xmlid == "partner_chengdu_logistics" and i == months - 1,
                "credit_dispute_reason": xmlid == "partner_chengdu_logistics" and i == months - 1
                and "20 pallets delivered damaged; credit note under discussion",
                "invoice_line_ids": [Command.create({
                    "name": self.env._("Goods delivered"),
                    "quantity": 1,
                    "price_unit": amount * (0.85 + 0.3 * ((i * 37) % 10) / 10),
                    "tax_ids": [],
                })],
            } for i in range(months)])
            moves.action_post()
            to_pay += [(move, move.invoice_date_due + relativedelta(days=days_late))
                       for move in moves.sorted("invoice_date")[: months - open_count]]
        self._pay_invoices([(move, date) for move, date in to_pay if date <= today])
        self._load_credit_files(today)
        self._load_dunning(today)
        partners._credit_compute_profiles()
        self._load_decisions(today)

    def _pay_invoices(self, invoices_and_dates):
        """Pay each invoice in full on its date: one batch of payments, then one reconciliation per invoice."""
        bank = self.env["account.journal"].search([("type", "=", "bank"), ("company_id", "=", self.env.company.id)],
                                                  limit=1)
        payments = self.env["account.payment"].create([{
            "payment_type": "inbound",
            "partner_type": "customer",
            "partner_id": move.partner_id.id,
            "amount": move.amount_total,
            "currency_id": move.currency_id.id,
            "date": date,
            "journal_id": bank.id,
        } for move, date in invoices_and_dates])
        payments.action_post()
        for payment, (move, _date) in zip(payments, invoices_and_dates, strict=True):
            (payment.move_id.line_ids | move.line_ids).filtered(
                lambda line: line.account_id.account_type == "asset_receivable").reconcile()

    def _load_dunning(self, today):
        """Replay the last three weekly dunning runs, then today's, and record a promise to pay."""
        dunning = self.env["credit.dunning.communication"]
        for days_ago in (21, 14, 7, 0):
            dunning.with_context(credit_dunning_date=today - relativedelta(days=days_ago))._credit_run_batch(10000)
        volt = self.env.ref("credit_control.partner_shenzhen_volt")
        promise = self.env["credit.payment.promise"].create({
            "partner_id": volt.id,
            "promise_date": today + relativedelta(days=5),
            "amount": 40000.0,
            "promised_by": "Ms. Chen, finance manager",
            "note": "Waiting for their customer's payment; will pay on the 5th.",
        })
        self._load_calls(today, promise)

    def _load_calls(self, today, promise):
        """Wuhan Steel's call of three weeks ago, answered the next day; Shenzhen Volt's promise, made on the
        phone today. Tianjin Harbor's call is still to make."""
        wuhan = self.env.ref("credit_control.partner_wuhan_steel")
        contact = self.env.ref("credit_control.partner_wuhan_steel_accounts")
        call = self.env["credit.dunning.communication"].search(
            [("partner_id", "=", wuhan.id), ("action_call", "=", True)], order="date", limit=1)
        asked = fields.Datetime.to_datetime(call.date) + relativedelta(hours=10)
        calls = self.env["credit.call.log"].sudo()
        calls.create([{
            "partner_id": wuhan.id, "communication_id": call.id, "date": asked, "contact_id": contact.id,
            "phone": contact.phone, "outcome": "no_answer", "next_call_date": call.date + relativedelta(days=1),
            "note": "Voicemail; message left.",
        }, {
            "partner_id": wuhan.id, "communication_id": call.id, "date": asked + relativedelta(days=1),
            "contact_id": contact.id, "phone": contact.mobile, "outcome": "other",
            "note": "The invoice waits for their CFO's approval; she will call back.",
        }, {
            "partner_id": promise.partner_id.id, "date": fields.Datetime.now(), "phone": promise.partner_id.phone,
            "outcome": "promise", "promise_id": promise.id, "note": promise.note,
        }])
        call.call_activity_ids.action_feedback(feedback="Other – The invoice waits for their CFO's approval.")
        call.sudo().write({"state": "done"})

    def _load_decisions(self, today):
        """Last quarter's reviews and one approved override, as a credit manager would have left them."""
        ref = self.env.ref
        reviews = [
            ("partner_shanghai_precision", 150000.0, 200000.0, "Volumes up 30%, pays on the due date."),
            ("partner_wuhan_steel", 80000.0, 60000.0, "Paying 45 days late: limit cut, collection letter sent."),
            ("partner_tianjin_machinery", 80000.0, 80000.0, "Over 60 days late: put on credit hold."),
        ]
        self.env["credit.review"].create([{
            "partner_id": ref(f"credit_control.{xmlid}").id,
            "date": fields.Datetime.now() - relativedelta(months=2),
            "old_limit": old_limit,
            "new_limit": new_limit,
            "old_tier_id": ref(f"credit_control.{xmlid}").credit_tier_id.id,
            "new_tier_id": ref(f"credit_control.{xmlid}").credit_tier_id.id,
            "new_hold": xmlid == "partner_tianjin_machinery",
            "hold_reason": "Invoices over 60 days late" if xmlid == "partner_tianjin_machinery" else False,
            "next_review_date": today + relativedelta(months=1),
            "note": note,
        } for xmlid, old_limit, new_limit, note in reviews])
        wuhan = ref("credit_control.partner_wuhan_steel")
        last_invoice = self.env["account.move"].search([("partner_id", "=", wuhan.id)], order="invoice_date desc",
                                                       limit=1)
        self.env["credit.override"].create({
            "partner_id": wuhan.id,
            "move_ids": [Command.set(last_invoice.ids)],
            "reason_code": "limit",
            "reason": "Instalment plan agreed and first instalment received; the CFO approved this delivery.",
            "exposure": wuhan.credit_exposure,
            "credit_limit": wuhan.credit_limit,
            "excess": max(wuhan.credit_exposure - wuhan.credit_limit, 0.0),
            "state": "used",
        })

    def _load_credit_files(self, today):
        checks = {
            "partner_shanghai_precision": 1,
            "partner_hangzhou_textiles": 2,
            "partner_wuhan_steel": 5,  # litigation and ownership checks now expired
        }
        item_types = self.env["credit.file.item.type"].search([("required", "=", True)])
        self.env["credit.file.item"].create([
            {
                "partner_id": self.env.ref(f"credit_control.{xmlid}").id,
                "type_id": item_type.id,
                "date_checked": today - relativedelta(months=months_ago),
                "result": "concern" if xmlid == "partner_wuhan_steel" and item_type.validity_months == 3 else "ok",
            }
            for xmlid, months_ago in checks.items()
            for item_type in item_types
        ])
