import pytest
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate

from coalition.signatures import moderation
from coalition.signatures.models import Organisation


@pytest.fixture
def schema(client, db):
    response = client.get("/api/v1/schema/")
    assert response.status_code == 200
    assert "max-age" in response["Cache-Control"]
    return response.json()


def response_schema(schema, path, status):
    content = schema["paths"][path]["get"]["responses"][str(status)]["content"]["application/json"]["schema"]
    # A root document the references resolve against.
    return {**content, "components": schema["components"]}


def resolve(schema, node):
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def assert_documented(schema, node, value, where):
    """Every key the API sent is a property the schema declares, all the way down."""
    node = resolve(schema, node)
    if isinstance(value, dict):
        properties = node["properties"]
        assert set(value) <= set(properties), f"{where}: undocumented {set(value) - set(properties)}"
        assert set(node.get("required", ())) <= set(value), f"{where}: required but missing"
        for key, item in value.items():
            assert_documented(schema, properties[key], item, f"{where}.{key}")
    elif isinstance(value, list):
        for item in value:
            assert_documented(schema, node["items"], item, f"{where}[]")


def test_the_schema_is_valid_openapi_3_and_documents_every_endpoint(schema):
    validate(schema)
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) == {"/api/v1/signatories/", "/api/v1/stats/", "/api/v1/organisations/"}
    parameters = {p["name"] for p in schema["paths"]["/api/v1/signatories/"]["get"]["parameters"]}
    assert parameters == {"craft", "country", "verified", "q", "after", "before"}
    assert "400" in schema["paths"]["/api/v1/signatories/"]["get"]["responses"]


def test_the_schema_describes_what_the_api_really_returns(
    client, schema, signature_factory, admin_user, settings, letter
):
    settings.SIGNATORIES_PER_PAGE = 1
    union = Organisation.objects.create(
        letter=letter,
        name="Screen Actors Union",
        kind="union",
        website="https://actors-union.example.org/",
        country="GB",
        contact_name="Pat Organiser",
        contact_email="pat@actors-union.example.org",
    )
    moderation.organisation_set_status(organisation_ids=[union.pk], status="verified", actor=admin_user)
    signature_factory(name="Zoë Writer", craft="visual-artist", country="FR", profile_url="https://example.org/z")
    checked = signature_factory(name="Checked Person", craft="actor")
    moderation.signature_verify(signature_ids=[checked.pk], actor=admin_user, method="profile_checked")
    moderation.signature_set_notable(signature_ids=[checked.pk], notable=True, actor=admin_user)

    first = client.get("/api/v1/signatories/").json()
    second = client.get(first["next"]).json()
    stats = client.get("/api/v1/stats/").json()
    organisations = client.get("/api/v1/organisations/").json()
    assert organisations["count"] == 1 and "pat" not in str(organisations).lower()
    bad = client.get("/api/v1/signatories/?craft=astronaut")
    assert bad.status_code == 400

    for path, status, body in [
        ("/api/v1/signatories/", 200, first),
        ("/api/v1/signatories/", 200, second),
        ("/api/v1/stats/", 200, stats),
        ("/api/v1/organisations/", 200, organisations),
        ("/api/v1/signatories/", 400, bad.json()),
    ]:
        described = response_schema(schema, path, status)
        OAS31Validator(described).validate(body)
        assert_documented(schema, described, body, path)
    assert set(resolve(schema, {"$ref": "#/components/schemas/ByCraft"})["properties"]) == set(stats["by_craft"])


def test_the_api_answers_head_like_get_without_a_body(client, signature_factory):
    signature_factory()
    for url in ("/api/v1/signatories/", "/api/v1/stats/", "/api/v1/organisations/"):
        response = client.head(url)
        assert response.status_code == 200 and response.content == b""
        assert client.post(url).status_code == 405


def test_stats_send_cache_control_and_answer_304_to_a_known_etag(client, signature_factory):
    signature_factory()
    response = client.get("/api/v1/stats/")
    assert response["Content-Type"] == "application/json"
    assert "public" in response["Cache-Control"] and "max-age=5" in response["Cache-Control"]
    assert client.get("/api/v1/stats/", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def test_names_are_sent_as_written_not_escaped(client, signature_factory):
    signature_factory(name="Zoë Ñúñez")
    assert "Zoë Ñúñez".encode() in client.get("/api/v1/signatories/").content


@pytest.mark.parametrize(
    "url",
    ["/api/v1/schema/", "/api/v1/signatories/?country=FR&verified=true&craft=actor", "/api/v1/organisations/"],
)
def test_api_pages_make_few_queries(client, signature_factory, django_assert_max_num_queries, url):
    signature_factory.create_batch(5, country="FR")
    with django_assert_max_num_queries(2):
        assert client.get(url).status_code == 200
