"""Onboarding a whole community (社区入驻) from one description, in one transaction.

``POST /onboarding/communities`` (JSON, or YAML with ``Content-Type: application/yaml``)
and ``python -m services.members onboard FILE`` (``.yaml``/``.yml`` or ``.json``) take the
same description::

    district: {name: 盘龙区}          # or {id: <uuid>} of an existing district
    street: {name: 拓东街道}          # or {id: <uuid>} of an existing street in it
    community:
      name: 桃源社区
      settings: {points_base: 60}     # any JSON object; applied when the community is created
      organizations:                  # the community's Party organizations, nested
        - kind: general_branch        # committee, general_branch, branch, group,
          name: 桃源社区党总支         # center_household (kinds of services.members
          children:                   # .organizations.tree.OrgKind)
            - kind: branch
              name: 离退休党员党支部
              children:
                - {kind: group, name: 第一党小组}
    units:                            # unit Party organizations (单位党组织) in the area
      - name: 盘龙区第一中学党支部
        co_building: true             # 共驻共建 with this community (default true)
        parent: street                # street (default) or district: where the unit sits
        children: []                  # its own branches and groups, same shape as above

Every node is matched by (parent, kind, name) among active organizations: what exists is
reused, what is missing is created, a listed unit not yet co-building with the community
is linked to it. Onboarding the same description twice changes nothing and says so.
Nothing is written unless the whole description is valid; a 422 lists every problem with
its path, e.g. ``community.organizations[1].children[0]``. The placement rules are those
of the tree (``tree.ALLOWED_PARENTS``).
"""
