"""Transfers of a member's organization relationship (组织关系转接): the sending side
requests, the receiving side accepts, rejects or returns the request."""
