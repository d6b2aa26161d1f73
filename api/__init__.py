"""HTTP service over the planning library: API keys with roles, a store-backed run pool, and the web page.

``bienestar serve`` runs :func:`api.app.create_app` under uvicorn; see ``api/README.md``.
"""
