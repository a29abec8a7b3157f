"""Saving the directory's current filters, and deleting a saved search."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import Length, Optional

from timebank.saved_searches.services import MAX_NAME


class SaveSearchForm(FlaskForm):
    """The directory's filters ride along hidden, as the page's query string had them."""

    name = StringField("Name this search", validators=[
        Optional(), Length(max=MAX_NAME, message=f"Use {MAX_NAME} characters or fewer for the name")])
    q = HiddenField()
    kind = HiddenField()
    direction = HiddenField()
    category = HiddenField()
    town = HiddenField()
    ward = HiddenField()
    postcode = HiddenField()
    within = HiddenField()
    day = HiddenField()

    def directory_args(self) -> dict:
        """The filters as the directory page's query string."""
        return {name: getattr(self, name).data for name in ("q", "kind", "direction", "category", "town", "ward",
                                                             "postcode", "within", "day") if getattr(self, name).data}

    def service_fields(self) -> dict:
        def number(text: str | None) -> int | None:
            return int(text) if (text or "").strip().isdigit() and len(text.strip()) < 10 else None

        return {"name": self.name.data, "keyword": self.q.data, "kind": self.kind.data,
                "direction": self.direction.data, "category_id": number(self.category.data), "town": self.town.data,
                "ward": self.ward.data, "postcode": self.postcode.data, "within_km": number(self.within.data),
                "day": self.day.data}


class DeleteSearchForm(FlaskForm):
    pass
