"""s3:// images in the llm-caller: the real bootstrap under the local Lambda emulator reads an
allow-listed object from a real local S3 (moto server) with the shared ImageFetcher, sniffs it, and
sends it inline as base64 to the fake provider; a location outside the deployment's and tenant's
allow-list is `Image.Forbidden` before any S3 read or provider call."""
from __future__ import annotations

import base64
import json

import boto3

from emulator_fixtures import start_emulator
from llm_fixtures import (FakeProviders, RetryingInvoker, TestCatalog, caller_environment,  # noqa: F401
                          fake_providers, function_config, llm_bundle, step)
from sqs_fixtures import moto  # noqa: F401

CATALOG = TestCatalog()
VISION = CATALOG.model("openai", "m-vision")

# A 1×1 PNG, and a JPEG's first bytes (enough for the sniffer), both independent of the code under test.
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5Er"
                       "kJggg==")
JPEG = bytes([0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10]) + b"JFIF\x00" + bytes(64) + bytes([0xFF, 0xD9])


def ask(url: str, model: str = VISION, tenant: str = "acme") -> dict:
    body = step(model, messages=[{"role": "user", "content": [
        {"type": "text", "text": "What is in this picture?"}, {"type": "image_url", "image_url": {"url": url}}]}])
    body["request"]["tenantId"] = tenant
    body["context"]["tenantId"] = tenant
    return body


def outcome(result) -> dict:
    """Every call ends in an outcome document, failures included (never a Lambda error)."""
    assert result.status == 200 and result.function_error is None, result.body
    return result.json


def test_s3_images_are_read_through_the_allow_list(moto, fake_providers, llm_bundle, tmp_path):  # noqa: F811
    s3 = boto3.client("s3", endpoint_url=moto.url, region_name="us-east-1", aws_access_key_id="test",
                      aws_secret_access_key="test")
    s3.create_bucket(Bucket="uploads")
    s3.create_bucket(Bucket="tenant-photos")
    s3.put_object(Bucket="uploads", Key="allowed/cat.png", Body=PNG)
    s3.put_object(Bucket="uploads", Key="allowed/dog.jpg", Body=JPEG)
    s3.put_object(Bucket="uploads", Key="allowed/notes.txt", Body=b"not an image at all")
    s3.put_object(Bucket="uploads", Key="private/secret.png", Body=PNG)
    s3.put_object(Bucket="tenant-photos", Key="globex/cat.png", Body=PNG)
    (llm_bundle / "image-access.json").write_text(json.dumps(
        {"version": "t1", "tenants": {"globex": {"s3": ["s3://tenant-photos/globex/"]}}}))
    env = caller_environment(fake_providers, llm_bundle, IMAGE_ACCESS_S3="s3://uploads/allowed/",
                             AWS_ENDPOINT_URL_S3=moto.url)
    emulator, process = start_emulator(function_config(env, max_concurrency=1), tmp_path=tmp_path)
    emulator = RetryingInvoker(emulator)
    provider_model = CATALOG.provider_model(VISION)
    try:
        for key, media_type, data in [("allowed/cat.png", "image/png", PNG), ("allowed/dog.jpg", "image/jpeg", JPEG)]:
            out = outcome(emulator.invoke("llm-caller", ask(f"s3://uploads/{key}")))
            assert out["status"] == "succeeded", out
            sent = fake_providers.requests(provider_model)[-1]["request"]["messages"][0]["content"]
            expected = f"data:{media_type};base64," + base64.b64encode(data).decode()
            assert sent[1] == {"type": "image_url", "image_url": {"url": expected}}
            assert out["usage"][0]["modality"] == "multimodal"
        calls = len(fake_providers.requests(provider_model))
        assert calls == 2

        # Outside the deployment's prefix, another tenant's location, a bucket nobody listed: the first two
        # objects exist and the role could read them, so only the allow-list stands between.
        for url, tenant in [("s3://uploads/private/secret.png", "acme"), ("s3://tenant-photos/globex/cat.png", "acme"),
                            ("s3://elsewhere/cat.png", "acme")]:
            out = outcome(emulator.invoke("llm-caller", ask(url, tenant=tenant)))
            assert out["status"] == "failed" and out["error"]["errorType"] == "Image.Forbidden", out
            assert out["usage"] == [] and out["attempts"] == []
        # The tenant's own location from image-access.json is readable by that tenant.
        out = outcome(emulator.invoke("llm-caller", ask("s3://tenant-photos/globex/cat.png", tenant="globex")))
        assert out["status"] == "succeeded", out
        assert len(fake_providers.requests(provider_model)) == calls + 1

        # A missing object and a non-image object fail before any provider call.
        out = outcome(emulator.invoke("llm-caller", ask("s3://uploads/allowed/missing.png")))
        assert out["status"] == "failed" and out["error"]["errorType"] == "Image.FetchFailed", out
        out = outcome(emulator.invoke("llm-caller", ask("s3://uploads/allowed/notes.txt")))
        assert out["status"] == "failed" and out["error"]["errorType"] == "LLM.InvalidRequest", out
        assert len(fake_providers.requests(provider_model)) == calls + 1
    finally:
        process.stop()
