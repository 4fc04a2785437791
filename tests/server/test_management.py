"""nepnb.management's members, service accounts and workspaces on a real tracking server."""

from __future__ import annotations

import pytest

from nepnb import management
from nepnb.exceptions import Conflict, InvalidValue, PermissionDenied, ProjectNotFound
from tests.helpers.tracking import Team


def test_members_and_service_accounts(team: Team) -> None:
    workspace = team.name("acme")
    project = f"{workspace}/proj"
    root = team.token(team.account("root", admin=True))
    owner, dev, ci = team.account("owner"), team.account("dev"), team.name("ci")
    team.identity.create_account(ci, kind="service", workspace=workspace)
    management.create_project(project, api_token=root)
    team.identity.grant(project, owner, "owner")
    token = team.token(owner)

    management.add_project_member(project, dev, "contributor", api_token=token)
    assert management.get_project_member_list(project, api_token=token) == {
        dev: "contributor",
        owner: "owner",
    }
    with pytest.raises(Conflict, match="already a member"):
        management.add_project_member(project, dev, "viewer", api_token=token)
    with pytest.raises(InvalidValue, match="is a service account"):
        management.add_project_member(project, ci, "viewer", api_token=token)
    with pytest.raises(InvalidValue, match="no user named"):
        management.add_project_member(project, "nobody-at-all", "viewer", api_token=token)
    with pytest.raises(InvalidValue, match="role 'boss'"):
        management.add_project_member(project, team.account("x"), "boss", api_token=token)

    management.add_project_service_account(project, ci, "contributor", api_token=token)
    assert management.get_project_service_account_list(project, api_token=token) == {
        ci: "contributor"
    }
    # The service account reaches the project (and its trash), but manages no members.
    ci_token = team.token(ci)
    assert management.get_trash_list(project, api_token=ci_token) == []
    with pytest.raises(PermissionDenied, match="needs the owner role"):
        management.add_project_member(project, team.account("y"), "viewer", api_token=ci_token)
    management.remove_project_service_account(project, ci, api_token=token)
    assert management.get_project_service_account_list(project, api_token=token) == {}
    with pytest.raises(ProjectNotFound):  # it no longer reaches the project
        management.get_trash_list(project, api_token=ci_token)

    management.remove_project_member(project, dev, api_token=token)
    with pytest.raises(InvalidValue, match="not a member"):
        management.remove_project_member(project, dev, api_token=token)
    assert management.get_project_member_list(project, api_token=token) == {owner: "owner"}

    # Only admins create projects.
    with pytest.raises(PermissionDenied, match="only the server's admins"):
        management.create_project(f"{workspace}/other", api_token=token)


def test_workspace_members(team: Team) -> None:
    workspace = team.name("acme")
    member, outsider = team.account("member"), team.account("outsider")
    root = team.account("root", admin=True)
    team.identity.create_workspace(workspace, [member, root])
    listed = {member: "member", root: "admin"}
    assert management.get_workspace_member_list(workspace, api_token=team.token(member)) == listed
    assert management.get_workspace_member_list(workspace, api_token=team.token(root)) == listed
    with pytest.raises(PermissionDenied, match="not a member"):
        management.get_workspace_member_list(workspace, api_token=team.token(outsider))
    with pytest.raises(InvalidValue, match="no workspace"):
        management.get_workspace_member_list(team.name("none"), api_token=team.token(root))
