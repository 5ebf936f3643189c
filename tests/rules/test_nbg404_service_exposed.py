import pytest
from helpers import codes, lint, nb

FLASK = "from flask import Flask\napp = Flask(__name__)\n"


def fired(*cells):
    return codes(lint(nb(*cells), "NBG404"))


def findings(*cells):
    return lint(nb(*cells), "NBG404").findings


@pytest.mark.parametrize("source, severity", [
    (FLASK + 'app.run(host="0.0.0.0", port=5000)', "medium"),
    (FLASK + 'app.run("0.0.0.0", 5000)', "medium"),
    (FLASK + 'app.run(host="0.0.0.0", debug=True)', "high"),
    ("x = 1\nx = 2\nimport uvicorn; uvicorn.run(app, host='0.0.0.0', port=8000)", "medium"),
    ("import gradio as gr\ndemo = gr.Interface(f, 'image', 'label')\ndemo.launch(share=True)", "medium"),
    ("import gradio as gr\ndemo = gr.Blocks()\ndemo.launch(server_name='0.0.0.0')", "medium"),
    ("x = 1\nfrom pyngrok import ngrok\npublic = ngrok.connect(8501)", "medium"),
    ("x = 1\nimport ray\nray.init(dashboard_host='0.0.0.0')", "medium"),
    ("x = 1\nimport socketserver, http.server\nsrv = socketserver.TCPServer(('', 8000), http.server.SimpleHTTPRequestHandler)",
     "medium"),
    ("x = 1\nx = 2\n!jupyter notebook --ip=0.0.0.0 --NotebookApp.token='' --allow-root", "high"),
    ("x = 1\nx = 2\n!jupyter lab --ip 0.0.0.0 --port 8888", "medium"),
    ("x = 1\nx = 2\n!jupyter lab --ServerApp.token= --port 8888", "medium"),
    ("x = 1\nx = 2\n!mlflow ui --host 0.0.0.0 --port 5000", "medium"),
    ("x = 1\nx = 2\n!tensorboard --logdir runs --bind_all", "medium"),
    ("x = 1\nx = 2\n%tensorboard --logdir runs --bind_all", "medium"),
    ("x = 1\nx = 2\n!ngrok http 8501", "medium"),
    ("x = 1\nx = 2\n!streamlit run app.py --server.address=0.0.0.0 &", "medium"),
    ("x = 1\nx = 2\n!python -m http.server 8000", "medium"),
    ("x = 1\nx = 2\n!npx localtunnel --port 8501", "medium"),
    ("x = 1\nx = 2\n!gcloud run deploy svc --image img --allow-unauthenticated", "medium"),
])
def test_exposed(source, severity):
    found = findings(source)
    assert [(f.cell, f.line, f.severity.label) for f in found] == [(0, 3, severity)]


def test_host_constant_from_earlier_cell():
    assert fired('HOST = "0.0.0.0"', FLASK + "app.run(host=HOST)") == [("NBG404", 1, 3)]


@pytest.mark.parametrize("source", [
    FLASK + 'app.run()',
    FLASK + 'app.run(host="127.0.0.1", debug=True)',
    FLASK + 'app.run(host="localhost")',
    "import gradio as gr\ndemo = gr.Blocks()\ndemo.launch()",
    "import gradio as gr\ndemo = gr.Blocks()\ndemo.launch(share=False)",
    "import gradio as gr\ndemo = gr.Blocks()\ndemo.launch(share=True, auth=('user', pw))",
    "x = 1\nx = 2\n!jupyter lab --port 8888",
    "x = 1\nx = 2\n!mlflow ui --port 5000",
    "x = 1\nx = 2\n!tensorboard --logdir runs",
    "x = 1\nx = 2\n%tensorboard --logdir runs",
    "x = 1\nx = 2\n!python -m http.server 8000 --bind 127.0.0.1",
    "x = 1\nx = 2\n!curl http://0.0.0.0:8080/ping",
    "x = 1\nx = 2\nchief_ip = '0.0.0.0'",
    "%%writefile Dockerfile\nCMD [\"uvicorn\", \"main:app\", \"--host\", \"0.0.0.0\"]",
])
def test_not_a_finding(source):
    assert fired(source) == []


@pytest.mark.parametrize("source", [
    "!npx --yes localtunnel --port 8080",
    "!npx -y localtunnel@2.0.2 --port 8080",
    "!npm exec localtunnel -- --port 8080",
])
def test_localtunnel_through_npx_options(source):
    assert fired(source) == [("NBG404", 0, 1)]


def test_npx_of_another_package_is_silent():
    assert fired("!npx --yes prettier --write notebook.md") == []


@pytest.mark.parametrize("source", [
    "from azureml.core.webservice import AciWebservice\ncfg = AciWebservice.deploy_configuration(cpu_cores=1, memory_gb=1)",
    "from azureml.core.webservice import AciWebservice\ncfg = AciWebservice.deploy_configuration(cpu_cores=1, auth_enabled=False)",
])
def test_azureml_container_instance_without_auth(source):
    assert fired(source) == [("NBG404", 0, 2)]


@pytest.mark.parametrize("source", [
    "from azureml.core.webservice import AciWebservice\ncfg = AciWebservice.deploy_configuration(cpu_cores=1, auth_enabled=True)",
    "from azureml.core.webservice import AciWebservice\ncfg = AciWebservice.deploy_configuration(token_auth_enabled=True)",
    "from azureml.core.webservice import AksWebservice\ncfg = AksWebservice.deploy_configuration(cpu_cores=1)",  # AKS: auth on by default
    "from azureml.core.webservice import AciWebservice\ncfg = AciWebservice.deploy_configuration(**ACI_SETTINGS)",
])
def test_azureml_deployments_with_auth(source):
    assert fired(source) == []


@pytest.mark.parametrize("source", [
    "!ngrok authtoken $NGROK_TOKEN",
    "!ngrok config add-authtoken $NGROK_TOKEN",
    "!ngrok version",
])
def test_ngrok_commands_that_open_no_tunnel(source):
    assert fired(source) == []


def test_ngrok_tunnel_after_a_global_option():
    assert fired("!ngrok --log stdout http 8501 &") == [("NBG404", 0, 1)]


@pytest.mark.parametrize("source, shown", [
    ("!docker run -t -d --rm -p 7080:7080 --name=local_iris $IMAGE", "-p 7080:7080"),
    ("! docker run -d -p 80:8080 \\\n  -e AIP_HTTP_PORT=8080 $IMAGE_URI", "-p 80:8080"),
    ("!docker run -v /data:/data --publish 8000:8000 img serve", "-p 8000:8000"),
    ("!docker run -p 0.0.0.0:8501:8501 img", "-p 0.0.0.0:8501:8501"),
    ("!docker run -P img", "-P publishes every exposed port"),
    ("%%bash\npodman run --gpus all -p8000:8000 tritonserver", "-p 8000:8000"),
])
def test_container_ports_published_on_every_interface(source, shown):
    (f,) = findings(source)
    assert f.severity.name == "MEDIUM" and "every network interface of the host" in f.message and shown in f.message


@pytest.mark.parametrize("source", [
    "!docker run -p 127.0.0.1:7080:7080 img",
    "!docker run -p localhost:8080:80 img",
    "!docker run --rm img python train.py -p 8080:8080",  # after the image: the container's arguments
    "!docker run -e PORT=8080 -v /a:/b img",
    "!docker build -t img . && docker push img",
])
def test_local_or_unpublished_containers_are_silent(source):
    assert findings(source) == []
