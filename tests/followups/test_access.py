"""The declared roles of the import and rules endpoints match tests/followups/access.py.

(tests/test_access_matrix.py, when present, checks every feature's table the same way.)
"""
from portal.auth.models import ROLES
from portal.auth.permissions import allowed_roles
from tests.followups.access import EXPECTED


def test_declared_roles_match_the_table(app):
    with app.test_request_context():
        for endpoint, roles in EXPECTED.items():
            assert set(allowed_roles(endpoint)) == roles, endpoint
            assert roles <= set(ROLES)
