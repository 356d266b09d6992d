"""The team's own tests start here: they run with `make test` on the real services and with `make
test-fast` on the embedded defaults. The template's guarantees are in tests/guarantees."""


def test_the_home_page_names_the_project(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert "<h1>{{ cookiecutter.project_name }}</h1>" in response.content.decode()
