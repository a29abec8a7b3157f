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
# Per client address: request.remote_addr, which is the real client's once the app trusts its
# proxy (TRUSTED_PROXY_COUNT, applied in create_app's register_proxy). The store is
# RATELIMIT_STORAGE_URI: Redis in production, so every worker counts against the same limits.
limiter = Limiter(key_func=get_remote_address)
