import { describe, expect, test } from "vitest";
import { CA_MAX_BYTES, caFileProblem, holdsPemCertificate, serverAddress } from "../src/screens/session/serverTrust";

describe("the server address people type", () => {
  test("gets https:// when typed without a scheme: a company server is reached over TLS", () => {
    expect(serverAddress("192.168.1.5:7878")).toBe("https://192.168.1.5:7878");
    expect(serverAddress("  crm.example.cn ")).toBe("https://crm.example.cn");
    expect(serverAddress("crm.example.cn:8443/sync")).toBe("https://crm.example.cn:8443/sync");
    expect(serverAddress("[2001:db8::1]:7878")).toBe("https://[2001:db8::1]:7878");
    // 127 only at the start of the host is this machine.
    expect(serverAddress("10.127.0.1:7878")).toBe("https://10.127.0.1:7878");
    expect(serverAddress("localhost.example.cn")).toBe("https://localhost.example.cn");
  });

  test("gets http:// for a server on this machine, the one place the core allows it", () => {
    expect(serverAddress("localhost:7878")).toBe("http://localhost:7878");
    expect(serverAddress("LocalHost")).toBe("http://LocalHost");
    expect(serverAddress("127.0.0.1:7878")).toBe("http://127.0.0.1:7878");
    expect(serverAddress("127.1.2.3")).toBe("http://127.1.2.3");
    expect(serverAddress("[::1]:7878")).toBe("http://[::1]:7878");
  });

  test("is left as typed when it has a scheme: the core judges a plain http:// one", () => {
    expect(serverAddress("http://192.0.2.10:7878")).toBe("http://192.0.2.10:7878");
    expect(serverAddress(" HTTPS://crm.example.cn ")).toBe("HTTPS://crm.example.cn");
    expect(serverAddress("http://127.0.0.1:7878")).toBe("http://127.0.0.1:7878");
  });
});

describe("the company's CA certificate file", () => {
  const pem = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n";

  test("is a .pem, .crt or .cer file of a certificate's size", () => {
    for (const name of ["company-ca.pem", "CA.CRT", "root.cer"]) expect(caFileProblem(name, 1200), name).toBeNull();
    expect(caFileProblem("company-ca.key", 1200)).toBe("wrong_type");
    expect(caFileProblem("photo.jpg", 1200)).toBe("wrong_type");
    expect(caFileProblem("ca.pem.txt", 1200)).toBe("wrong_type");
    expect(caFileProblem("huge.pem", CA_MAX_BYTES + 1)).toBe("too_large");
  });

  test("holds a PEM certificate, not a key, a DER file or other text", () => {
    expect(holdsPemCertificate(pem)).toBe(true);
    expect(holdsPemCertificate(`# the company's root\r\n${pem.replace(/\n/g, "\r\n")}`)).toBe(true);
    expect(holdsPemCertificate("-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n")).toBe(false);
    expect(holdsPemCertificate("0\u0082\u0001\u00b3")).toBe(false);
    expect(holdsPemCertificate("")).toBe(false);
  });
});
