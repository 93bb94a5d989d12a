import base64

from freezegun import freeze_time

from odoo import Command
from odoo.tests import Form, tagged

from odoo.addons.credit_control.tests.common import CreditControlCommon
from odoo.addons.credit_control.tests.xlsx_checks import HOSTILE_NAMES, XlsxInjectionMixin


@tagged("post_install", "-at_install")
class TestCreditInsuranceXlsx(XlsxInjectionMixin, CreditControlCommon):
    """No text from the database becomes a formula in any file sent to the insurer.

    The exports of credit_control_insurance, all written by credit_control's ``report/xlsx.py``:
    - the cover request (*Request Buyer Cover* wizard): buyer names;
    - the premium declaration: buyer countries;
    - the overdue notifications: buyer names;
    - the dunning history attached to a claim: dunning level names.
    credit_control's own exports are checked in its ``test_credit_xlsx``.

    Four buyers, named ``HOSTILE_NAMES``, in four countries renamed the same way, covered from 2026-01-01;
    each has an invoice of 1,000 of 2026-03-01, due 2026-03-31.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.insurer = cls._customer("Sinosure")
        cls.policy = cls.env["credit.insurance.policy"].create({
            "policy_number": "P-1", "insurer_id": cls.insurer.id, "date_start": "2026-01-01",
            "date_end": "2026-12-31", "max_extension_days": 60, "notice_days": 5, "indemnity_percent": 90.0,
            "max_liability": 10000.0, "premium_rate": 0.3, "declaration_frequency": "quarterly",
        })
        cls.policy.action_activate()
        countries = [cls.env.ref(f"base.{code}") for code in ("fr", "de", "it", "es")]
        for country, name in zip(countries, HOSTILE_NAMES, strict=True):
            country.name = name
        cls.buyers = cls.env["res.partner"].concat(*(
            cls._customer(name, country_id=country.id) for name, country in zip(HOSTILE_NAMES, countries, strict=True)))
        cls.env["credit.insurance.cover"].create([{
            "partner_id": buyer.id, "policy_id": cls.policy.id, "decision": "granted", "amount_granted": 50000.0,
            "date_effective": "2026-01-01",
        } for buyer in cls.buyers])
        cls.invoices = cls.env["account.move"].concat(*(
            cls._invoice(buyer, 1000.0, "2026-03-01", days=30) for buyer in cls.buyers))

    def _download(self, action):
        return self.env["ir.attachment"].browse(int(action["url"].split("/")[3].split("?")[0])).raw

    def test_cover_request(self):
        wizard = Form(self.env["credit.insurance.cover.request"].with_context(
            credit_request_partner_ids=self.buyers.ids)).save()
        wizard.line_ids.amount = 20000.0
        wizard.action_request()
        self.assertXlsxInert(base64.b64decode(wizard.file_data), HOSTILE_NAMES)

    def test_declaration(self):
        declaration = self.env["credit.insurance.declaration"].create({
            "policy_id": self.policy.id, "date_from": "2026-01-01", "date_to": "2026-03-31"})
        self.assertXlsxInert(self._download(declaration.action_export_xlsx()), HOSTILE_NAMES)

    def test_overdue_notifications(self):
        # Due 2026-03-31, deadline + 60 days = 2026-05-30, prepared 5 days before: 2026-05-25.
        with freeze_time("2026-05-27"):
            while self.env["credit.insurance.notification"]._cron_insurance_deadlines():
                pass
        notifications = self.env["credit.insurance.notification"].search([("partner_id", "in", self.buyers.ids)])
        self.assertEqual(len(notifications), 4)
        self.assertXlsxInert(self._download(notifications.action_export_xlsx()), HOSTILE_NAMES)

    @freeze_time("2026-06-01")
    def test_claim_dunning_history(self):
        self.env.company.credit_dunning_policy_id = self.env["credit.dunning.policy"].create({
            "name": "Claims",
            "level_ids": [Command.create({"name": HOSTILE_NAMES[0], "offset_days": 0, "action_letter": True,
                                          "message": "Please pay."})],
        })
        with freeze_time("2026-04-01"):
            while self.env["credit.dunning.communication"].sudo()._cron_run_dunning():
                pass
        Claim = self.env["credit.insurance.claim"]
        claim = Claim.create(Claim._credit_prepare_from_invoices(self.invoices[1]))
        history = claim.document_ids.filtered(lambda doc: doc.doc_type == "dunning_history")
        self.assertXlsxInert(history.attachment_ids.raw, [HOSTILE_NAMES[0]])
