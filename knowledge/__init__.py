"""Knowledge base: ingestion, chunking, embeddings, Qdrant store, bundled runbooks."""
