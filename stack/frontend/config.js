window.OPSGATE_CONFIG = { apiBase: "/api/v1" };
