"""`GET /ui/connections/new`, the setup wizard's first step (`wizard.choose`), registered from a module
whose name sorts before `connections`: routers are included in file-name order, and the connection
detail page's `/ui/connections/{cid}` would otherwise take "new" for a connection's id."""

from fastapi import APIRouter

from smartap_erp.ui.routes.wizard import choose

router = APIRouter(include_in_schema=False)
router.add_api_route("/ui/connections/new", choose, methods=["GET"])
