"""Server-rendered public pages (issue #15): the badge pages people share.

Jinja templates under ``templates/`` (layout ``_base.html`` with the blocks ``title``, ``head`` and ``main``),
the context builders of each page, the reads they need, and the PNG ``og:image`` rendered from a badge image.
No JavaScript, no external assets: inline CSS, images from this server. The public controllers
(``hosting/public``, ``hosting/ob3``) choose a page by content negotiation (:mod:`hosting.pages.respond`), read
its rows (:mod:`hosting.pages.reads`) and render it (:mod:`hosting.pages.award`, :mod:`hosting.pages.catalog`).
"""
