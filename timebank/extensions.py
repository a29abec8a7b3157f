"""Flask extensions, created unbound and initialised in the app factory."""
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mailman import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from timebank.db import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
mail = Mail()
# Per client address. Storage is memory:// (per process) unless RATELIMIT_STORAGE_URI names a
# shared store such as redis://, which production with several workers should use.
limiter = Limiter(key_func=get_remote_address)
