import re
def test_smoke(client):
    q = "location=LS1+3HB&need=depression&age=34&severity=more-severe"
    r = client.get("/gp?" + q)
    ids = re.findall(r'name="service" type="checkbox" value="([^"]+)"', r.text)
    r = client.get("/gp/handout?" + q + "".join(f"&service={i}" for i in ids[:7]) + "&service=nope")
    print(r.status_code); open("/tmp/gpt/handout.html","w").write(r.text)
    r = client.get("/gp/record?" + q + "".join(f"&service={i}" for i in ids[:2]))
    print(r.status_code); open("/tmp/gpt/record.html","w").write(r.text)
    r = client.get("/gp/handout?" + q)
    print(r.status_code); open("/tmp/gpt/noservice.html","w").write(r.text)
