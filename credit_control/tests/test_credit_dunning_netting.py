import datetime
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odoo.tests import TransactionCase, tagged

TODAY = datetime.date(2026, 6, 30)
FOREIGN = -1  # a currency id no record has: the netting only reads ids, amounts and rates
RATES = [0.5, 1.0, 2.0, 7.3]  # units of the foreign currency per unit of company currency
AMOUNTS = st.sampled_from([0.01, 1.0, 99.99, 250.0, 500.0, 999.99, 1000.0, 3000.0])
LINE = st.tuples(
    st.booleans(),  # a credit, else an item
    st.booleans(),  # in the foreign currency
    AMOUNTS,
    st.integers(min_value=-60, max_value=60),  # due (items) or dated (credits) this many days from today
)
TOLERANCE = 0.011  # rounding to the cent at each step, in each currency


@tagged("post_install", "-at_install")
class TestCreditDunningNetting(TransactionCase):
    """Properties of the netting of one customer's credits against its items (``_credit_net_items``), over
    random mixes of items and credits, due or dated from 60 days ago to 60 days ahead, in company currency
    and one foreign currency."""

    def _lines(self, drawn, rate):
        company = self.env.company.currency_id.id
        lines = []
        for index, (is_credit, foreign, amount, days) in enumerate(drawn, start=1):
            sign = -1 if is_credit else 1
            day = TODAY + datetime.timedelta(days=days)
            lines.append({
                "move_line_id": index, "currency_id": FOREIGN if foreign else company, "date": day, "date_due": day,
                "residual_currency": sign * amount, "residual": sign * round(amount / rate if foreign else amount, 2),
            })
        return lines

    @settings(max_examples=int(os.environ.get("CREDIT_CONTROL_FUZZ_EXAMPLES") or 200), deadline=None,
              derandomize=not os.environ.get("CREDIT_CONTROL_FUZZ_RANDOM"), database=None,
              suppress_health_check=list(HealthCheck))
    @given(st.lists(LINE, max_size=8), st.sampled_from(RATES))
    def test_netting_properties(self, drawn, rate):
        """Invariants, whatever the mix:

        * an item's net is between 0 and its open amount, and what covered it makes up the difference (in the
          item's currency, at the credit's and the item's rates);
        * no credit is used for more than it is;
        * an overdue item left open means every credit is used up; a credit used on an item not overdue yet
          means every overdue item is covered: credits go to the overdue items first;
        * in each tier, a credit left over never leaves an item of its own currency open.
        """
        lines = self._lines(drawn, rate)
        digits = {self.env.company.currency_id.id: 2, FOREIGN: 2}
        items = self.env["credit.dunning.communication"]._credit_net_items(lines, digits, TODAY)
        credits = [line for line in lines if line["residual"] < 0]
        used = {credit["move_line_id"]: 0.0 for credit in credits}
        for item in items:
            self.assertGreaterEqual(item["net_currency"], 0.0)
            self.assertLessEqual(item["net_currency"], item["residual_currency"] + TOLERANCE)
            self.assertGreaterEqual(item["net"], 0.0)
            covered = 0.0
            for credit, amount in item["covered"]:
                used[credit["move_line_id"]] += amount
                # the credit's amount in the item's currency, through company currency at each one's rate
                covered += amount * (credit["residual"] / credit["residual_currency"]) / (
                    item["residual"] / item["residual_currency"])
            self.assertAlmostEqual(item["residual_currency"] - item["net_currency"], covered, delta=TOLERANCE * 4)
        left = {credit["move_line_id"]: -credit["residual_currency"] - used[credit["move_line_id"]]
                for credit in credits}
        for credit in credits:
            self.assertGreaterEqual(left[credit["move_line_id"]], -TOLERANCE)
        overdue = [item for item in items if item["date_due"] < TODAY]
        later = [item for item in items if item["date_due"] >= TODAY]
        if any(item["net_currency"] > TOLERANCE for item in overdue):
            self.assertTrue(all(amount <= TOLERANCE for amount in left.values()), "an overdue item left open")
        if any(item["covered"] for item in later):
            self.assertTrue(all(item["net_currency"] <= TOLERANCE for item in overdue),
                            "a credit went to an item not overdue before the overdue ones")
        for tier in (overdue, later):
            for item in tier:
                if item["net_currency"] > TOLERANCE:
                    self.assertFalse([credit for credit in credits if credit["currency_id"] == item["currency_id"]
                                      and left[credit["move_line_id"]] > TOLERANCE],
                                     "a credit left over beside an open item of its currency")
