"""Many phones at once: reads that also write (the audit trail) never fail on a busy database."""

import threading

from tests.conftest import AuthActions


def test_concurrent_page_views_that_audit_all_succeed(
    migrated_app, app, create_user, create_household
):
    household = create_household("NI-01")
    users = [create_user("volunteer", areas=["NI-01"]) for _ in range(6)]
    clients = []
    for user in users:
        client = migrated_app.test_client()
        AuthActions(client).login(user.phone)
        clients.append(client)
    statuses, barrier = [], threading.Barrier(len(clients))
    code = household.code  # read here: the threads must not touch the test's session

    def browse(client):
        with migrated_app.app_context():
            barrier.wait()
            for path in (
                f"/households/{code}",
                "/households",
                "/api/v1/households",
                f"/visits/new?household={code}",
                "/",
            ):
                statuses.append(client.get(path).status_code)

    threads = [threading.Thread(target=browse, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert statuses and set(statuses) == {200}
