from unittest.mock import patch

from odoo import Command
from odoo.tests import HttpCase, tagged

from odoo.addons.credit_control.tests.test_ui import FocusedChromeBrowser


@tagged("post_install", "-at_install")
class TestCreditInsuranceUi(HttpCase):
    """The insurance flow as a credit manager clicks it: request cover, record the grant, claim from an
    overdue notification, register the indemnity."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.startClassPatcher(patch("odoo.tests.common.ChromeBrowser", FocusedChromeBrowser))
        company = cls.env.company
        insurer = cls.env["res.partner"].create({"name": "Tour Insurer", "is_company": True})
        Account = cls.env["account.account"]
        cls.policy = cls.env["credit.insurance.policy"].create({
            "policy_number": "TOUR-1", "insurer_id": insurer.id, "date_start": "2026-01-01",
            "date_end": "2026-12-31", "deductible_amount": 500.0, "max_liability": 100000.0,
            "claim_journal_id": cls.env["account.journal"].search(
                [("company_id", "=", company.id), ("type", "=", "general")], limit=1).id,
            "claim_receivable_account_id": Account.search([("account_type", "=", "asset_current")], limit=1).id,
            "loss_account_id": Account.search([("account_type", "=", "expense")], limit=1).id,
        })
        cls.policy.action_activate()
        cls.buyer = cls.env["res.partner"].create({"name": "Tour Buyer", "is_company": True, "customer_rank": 1,
                                                   "credit_limit": 30000.0})
        cls.env["credit.insurance.cover"].create({
            "partner_id": cls.buyer.id, "policy_id": cls.policy.id, "decision": "granted",
            "amount_granted": 20000.0, "date_effective": "2026-01-01",
        })
        cls.invoice = cls.env["account.move"].create({
            "move_type": "out_invoice", "partner_id": cls.buyer.id, "invoice_date": "2026-08-01",
            "invoice_date_due": "2026-08-31",
            "invoice_line_ids": [Command.create({"name": "Goods", "quantity": 1, "price_unit": 10000.0,
                                                 "tax_ids": []})],
        })
        cls.invoice.action_post()
        cls.notification = cls.env["credit.insurance.notification"].create({
            "policy_id": cls.policy.id, "partner_id": cls.buyer.id, "move_ids": [Command.set(cls.invoice.ids)],
            "date_sent": "2026-11-01",
        })
        cls.notification.action_send()

    def test_credit_manager_covers_claims_and_is_indemnified(self):
        self.assertTrue(self.invoice.credit_insured)
        self.start_tour("/odoo/action-credit_control.res_partner_credit_profile_action",
                        "credit_insurance_cover_claim_tour", login="admin")
        decisions = self.buyer.credit_insurance_cover_ids.sorted("id")
        self.assertEqual(decisions.mapped("decision"), ["granted", "requested", "granted"])
        self.assertEqual((decisions[-1].amount_granted, decisions[-1].insurer_reference), (30000.0, "SCI-TOUR-1"))
        claim = self.notification.claim_ids
        self.assertEqual((claim.state, claim.move_ids), ("draft", self.invoice))

        claim.document_ids.write({"done": True})  # the manager gathered the documents
        self.start_tour(f"/odoo/action-credit_control_insurance.credit_insurance_claim_action/{claim.id}",
                        "credit_insurance_indemnity_tour", login="admin")
        # (10,000 insured (cover 20,000) − 500 deductible) × 90% = 8,550
        self.assertEqual((claim.state, claim.amount_indemnified), ("indemnified", 8550.0))
        self.assertEqual(claim.indemnity_move_id.state, "posted")
        self.assertEqual(self.invoice.payment_state, "partial")
