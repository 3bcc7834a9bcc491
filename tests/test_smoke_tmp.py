def test_pages(client, make_user, login):
    for url in ["/", "/privacy_policy", "/login", "/healthz", "/nope"]:
        r = client.get(url)
        print(url, r.status_code)
        assert r.status_code in (200, 404), r.get_data(as_text=True)[:3000]
    u = make_user("Ana Exemplo")
    login(client, u)
    r = client.get("/home")
    assert r.status_code == 200, r.get_data(as_text=True)[:3000]
    r = client.post("/login/dev", data={"username": "Bruno"})
    print(r.status_code, r.headers.get("Location"))
