"""Admin's user list, and the API reference: /openapi.json plus an offline /docs page (no CDN scripts)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlmodel import Session

from pantau.storage.users import get_user, list_users, set_disabled
from pantau.web.auth import CurrentUser, api_user, form_csrf, get_db, page_role, page_user
from pantau.web.templating import render

router = APIRouter(include_in_schema=False)
METHODS = ("get", "post", "patch", "put", "delete")


@router.get("/users")
def users_page(
    request: Request, _user: CurrentUser = Depends(page_role("admin")), db: Session = Depends(get_db)
) -> Response:
    return render(request, "users.html", {"users": list_users(db)})


@router.post("/users/{username}/disable", dependencies=[Depends(form_csrf)])
def disable_user(
    username: Annotated[str, Path(max_length=64)],
    user: CurrentUser = Depends(page_role("admin")),
    db: Session = Depends(get_db),
) -> Response:
    target = get_user(db, username)
    if target is not None and target.username != user.username:
        set_disabled(db, target)
        db.commit()
    return RedirectResponse("/users", status_code=303)


@router.get("/openapi.json")
def openapi_document(request: Request, _user: CurrentUser = Depends(api_user)) -> JSONResponse:
    return JSONResponse(request.app.openapi())


def _schema_name(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        return f"list of {_schema_name(schema.get('items', {}))}"
    if "anyOf" in schema:
        return " or ".join(_schema_name(option) for option in schema["anyOf"])
    return str(schema.get("type", "object"))


def describe_operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    operations = []
    for path, item in document.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            body = operation.get("requestBody", {}).get("content", {})
            body_schema = next(iter(body.values()), {}).get("schema") if body else None
            operations.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "parameters": [
                        {
                            "name": parameter["name"],
                            "where": parameter["in"],
                            "required": parameter.get("required", False),
                            "type": _schema_name(parameter.get("schema", {})),
                            "description": parameter.get("description", ""),
                        }
                        for parameter in operation.get("parameters", [])
                    ],
                    "body": _schema_name(body_schema) if body_schema else None,
                    "responses": sorted(operation.get("responses", {})),
                }
            )
    return operations


@router.get("/docs")
def api_docs(request: Request, _user: CurrentUser = Depends(page_user)) -> Response:
    document = request.app.openapi()
    context = {"document": document, "operations": describe_operations(document)}
    return render(request, "docs.html", context)
