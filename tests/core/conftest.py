from tests.support.fixtures import probe, probe_client

__all__ = ["probe", "probe_client"]
