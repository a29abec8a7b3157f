"""The matcher page's form: the policy of a new run."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField
from wtforms.validators import DataRequired, InputRequired, NumberRange

from timebank.main.forms import NumberField, WeightField
from timebank.matcher.runs import OBJECTIVES


WEIGHT = NumberRange(min=0, max=10, message="Enter a weight between 0 and 10")


class RunForm(FlaskForm):
    # Left out of a form sent by hand, it is today's aim (a browser always sends the one shown).
    objective = RadioField("What should the matcher aim for?", choices=list(OBJECTIVES.items()), default="points",
                           validators=[DataRequired("Choose what the matcher aims for")])
    max_cycle = NumberField("Longest ring (members)", validators=[
        InputRequired("Enter the longest ring"), NumberRange(min=2, max=8, message="Enter between 2 and 8")])
    max_chain = NumberField("Longest gift chain (legs)", validators=[
        InputRequired("Enter the longest chain"), NumberRange(min=0, max=8, message="Enter between 0 and 8")])
    allow_pairs = BooleanField("Also propose direct pairs paid in time credits")
    w_urgency = WeightField("Weight of urgency", validators=[InputRequired("Enter a weight"), WEIGHT])
    w_category_fit = WeightField("Weight of category fit", validators=[InputRequired("Enter a weight"), WEIGHT])
    w_distance = WeightField("Weight of nearness", validators=[InputRequired("Enter a weight"), WEIGHT])
    w_waiting = WeightField("Weight of how long a need has waited", validators=[InputRequired("Enter a weight"), WEIGHT])
    time_limit = NumberField("Stop after (seconds)", validators=[
        InputRequired("Enter a time limit"), NumberRange(min=5, max=3600, message="Enter between 5 and 3,600 seconds")])

    def policy(self) -> dict:
        return {"objective": self.objective.data, "max_cycle": self.max_cycle.data, "max_chain": self.max_chain.data,
                "allow_pairs": bool(self.allow_pairs.data), "time_limit": self.time_limit.data,
                "weights": {"urgency": self.w_urgency.data, "category_fit": self.w_category_fit.data,
                            "distance": self.w_distance.data, "waiting": self.w_waiting.data}}

    @classmethod
    def from_policy(cls, policy: dict) -> RunForm:
        weights = policy.get("weights", {})
        return cls(data={"objective": policy.get("objective", "points"), "max_cycle": policy["max_cycle"], "max_chain": policy["max_chain"],
                         "allow_pairs": policy.get("allow_pairs", True), "time_limit": policy.get("time_limit", 60),
                         "w_urgency": weights.get("urgency", 1.0), "w_category_fit": weights.get("category_fit", 1.0),
                         "w_distance": weights.get("distance", 1.0), "w_waiting": weights.get("waiting", 1.0)})
