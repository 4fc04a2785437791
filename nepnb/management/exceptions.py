"""The exceptions of ``neptune.management``, by the Neptune client's names.

Each is one of nepnb's own classes (nepnb.exceptions), so ``except`` clauses written for
the Neptune client keep working. Several Neptune names share a class: ``UserAlreadyHasAccess``
and ``ProjectAlreadyExists`` are both :class:`~nepnb.exceptions.Conflict`, for instance.
"""

from __future__ import annotations

from nepnb.exceptions import (
    Conflict,
    InvalidProjectName,
    InvalidValue,
    NepnbError,
    ObjectNotFound,
    PermissionDenied,
    ProjectNotFound,
    ServerRequired,
)

__all__ = [
    "AccessRevokedOnDeletion",
    "AccessRevokedOnMemberRemoval",
    "BadRequestException",
    "ConflictingWorkspaceName",
    "InvalidProjectName",
    "ManagementOperationFailure",
    "MissingWorkspaceName",
    "ObjectNotFound",
    "ProjectAlreadyExists",
    "ProjectKeyCollision",
    "ProjectNotFound",
    "ServerRequired",
    "ServiceAccountAlreadyHasAccess",
    "ServiceAccountNotExistsOrWithoutAccess",
    "UserAlreadyHasAccess",
    "UserNotExistsOrWithoutAccess",
    "WorkspaceNotFound",
]

ManagementOperationFailure = NepnbError
MissingWorkspaceName = InvalidProjectName
ConflictingWorkspaceName = InvalidProjectName
ProjectAlreadyExists = Conflict
ProjectKeyCollision = Conflict
UserAlreadyHasAccess = Conflict
ServiceAccountAlreadyHasAccess = Conflict
UserNotExistsOrWithoutAccess = InvalidValue
ServiceAccountNotExistsOrWithoutAccess = InvalidValue
WorkspaceNotFound = InvalidValue
BadRequestException = InvalidValue
AccessRevokedOnDeletion = PermissionDenied
AccessRevokedOnMemberRemoval = PermissionDenied
