import { describe, expect, it } from "vitest";
import { BUILTIN_DETECTORS } from "../src/pii/detectors";
import { isNonSecretValue, isSecretKey, keyWords, looksLikeStateValue } from "../src/pii/keys";
import { redactText } from "../src/pii/redact";
import { findPii } from "../src/pii/scan";
import { cardBrand, ibanValid, ipv6Valid, jwtValid, luhnValid, ssnValid } from "../src/pii/validators";

const categories = (text: string) => findPii(text, BUILTIN_DETECTORS).map((m) => m.category);
const masked = (text: string) => findPii(text, BUILTIN_DETECTORS).map((m) => m.masked);

// A structurally valid JWT (header {"alg":"HS256","typ":"JWT"}); the signature is arbitrary.
const JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";

describe("validators", () => {
  it("Luhn accepts test card numbers and rejects a changed digit", () => {
    expect(luhnValid("4242424242424242")).toBe(true);
    expect(luhnValid("4242424242424241")).toBe(false);
    expect(luhnValid("378282246310005")).toBe(true);
  });
  it("IIN ranges name the network, including Mastercard 2221–2720 and Diners 14-digit numbers", () => {
    expect(cardBrand("4111111111111111")).toBe("visa");
    expect(cardBrand("5555555555554444")).toBe("mastercard");
    expect(cardBrand("2223003122003222")).toBe("mastercard");
    expect(cardBrand("2721000000000000")).toBeUndefined();
    expect(cardBrand("378282246310005")).toBe("amex");
    expect(cardBrand("6011111111111117")).toBe("discover");
    expect(cardBrand("3530111333300000")).toBe("jcb");
    expect(cardBrand("30569309025904")).toBe("diners");
    expect(cardBrand("1767225600000")).toBeUndefined(); // a Unix-ms timestamp
  });
  it("IBAN needs the country's length and mod-97 == 1", () => {
    expect(ibanValid("DE89370400440532013000")).toBe(true);
    expect(ibanValid("GB82WEST12345698765432")).toBe(true);
    expect(ibanValid("DE89370400440532013001")).toBe(false);
    expect(ibanValid("DE8937040044053201300")).toBe(false);
    expect(ibanValid("ZZ89370400440532013000")).toBe(false);
  });
  it("SSN rejects area 000/666/9xx, group 00, serial 0000", () => {
    expect(ssnValid("123", "45", "6789")).toBe(true);
    for (const [a, g, s] of [["000", "12", "3456"], ["666", "12", "3456"], ["912", "12", "3456"], ["123", "00", "4567"], ["123", "45", "0000"]]) {
      expect(ssnValid(a!, g!, s!)).toBe(false);
    }
  });
  it("JWT needs a JSON header with alg; IPv6 needs 8 groups or one ::", () => {
    expect(jwtValid(JWT)).toBe(true);
    expect(jwtValid("eyJub3RhbGciOjF9.eyJ4IjoxfQ.sig")).toBe(false);
    expect(ipv6Valid("2001:db8::8a2e:370:7334")).toBe(true);
    expect(ipv6Valid("aa:bb:cc:dd:ee:ff")).toBe(false);
    expect(ipv6Valid("1::2::3")).toBe(false);
  });
});

describe("detectors", () => {
  it.each([
    ["contact jane.doe@example.com", "email", "j***@e***.com"],
    ["4242 4242 4242 4242", "credit-card", "**** **** **** 4242"],
    ["card=5555-5555-5555-4444", "credit-card", "**** **** **** 4444"],
    ["2223003122003222", "credit-card", "**** **** **** 3222"],
    ["amex 378282246310005", "credit-card", "**** **** **** 0005"],
    ["DE89 3704 0044 0532 0130 00", "iban", "DE**…(iban, 22 chars)"],
    ["GB82WEST12345698765432", "iban", "GB**…(iban, 22 chars)"],
    ["ssn 123-45-6789", "us-ssn", "***-**-****"],
    ["+14155552671", "phone", "+1…(phone, 11 digits)"],
    ["+44 20 7946 0958", "phone", "+4…(phone, 12 digits)"],
    ["+1 (415) 555-2671", "phone", "+1…(phone, 11 digits)"],
    [JWT, "jwt", "eyJ…(jwt, 3 parts)"],
    [`Bearer ${JWT}`, "bearer-token", "Bearer …(bearer-token, 108 chars)"],
    ["curl -H 'Authorization: Basic YWRtaW46aHVudGVyMg==' https://api.example.com", "basic-auth", "Basic …(basic-auth, 20 chars)"],
    ["AKIAIOSFODNN7EXAMPLE", "api-key", "AKIA…(api-key, 20 chars)"],
    ["ghp_abcdefghijklmnopqrstuvwxyz0123456789", "api-key", "ghp_…(api-key, 40 chars)"],
    ["xoxb-1234567890-abcdefghij", "api-key", "xoxb-…(api-key, 26 chars)"],
    ["sk_live_4eC39HqLyjWDarjtT1zdp7dc", "api-key", "sk_live_…(api-key, 32 chars)"],
    ["AIzaSyA1234567890abcdefghijklmnopqrstuv", "api-key", "AIza…(api-key, 39 chars)"],
    ["postgres://admin:s3cret@db.internal:5432/app", "url-credentials", "postgres://***:***@db.internal:5432"],
    ["/login?user=a&password=hunter2", "secret-param", "password=***"],
    ["https://b.s3.amazonaws.com/k.pdf?X-Amz-Expires=900&X-Amz-Signature=8f3b2e1d0c9a", "secret-param", "X-Amz-Signature=***"],
    ["https://storage.googleapis.com/b/o?X-Goog-Expires=900&X-Goog-Signature=5e6f7a8b9c0d", "secret-param", "X-Goog-Signature=***"],
    ["UPDATE users SET password = 'hunter2' WHERE id = 1", "secret-param", "password=***"],
    ["client 203.0.113.9", "ip-address", "203.x.x.x"],
    ["2001:db8::8a2e:370:7334", "ip-address", "2001:…(ipv6)"],
    // Cards in the groupings they are printed in: Amex 4-6-5, Diners 4-6-4, 13-digit Visa 4-4-4-1, 19-digit 4-4-4-4-3.
    ["amex 3782 822463 10005", "credit-card", "**** **** **** 0005"],
    ["diners 3056 930902 5904", "credit-card", "**** **** **** 5904"],
    ["visa 4222 2222 2222 2", "credit-card", "**** **** **** 2222"],
    ["visa 4111-1111-1111-1111-110", "credit-card", "**** **** **** 1110"],
    // A spaced IBAN that runs into the next word is cut where a space separates groups.
    ["BE71 0961 2345 6769 TEST", "iban", "BE**…(iban, 16 chars)"],
    // Phone numbers in their usual international forms, dots included.
    ["+1 415 555 2671", "phone", "+1…(phone, 11 digits)"],
    ["+1-415-555-2671", "phone", "+1…(phone, 11 digits)"],
    ["+1.415.555.2671", "phone", "+1…(phone, 11 digits)"],
    ["+33.1.23.45.67.89", "phone", "+3…(phone, 11 digits)"],
    ["/v1/otp/+4915112345678/send", "phone", "+4…(phone, 13 digits)"],
    ["call +44 20 7946 0958, then retry", "phone", "+4…(phone, 12 digits)"],
    // URL-encoded: `%2B` for `+` (and `%20` or `+` for spaces), `%2B` inside an encoded address.
    ["https://api.example.com/verify?phone=%2B14155552671", "phone", "+1…(phone, 11 digits)"],
    ["send sms to %2B4915112345678 attempt 7", "phone", "+4…(phone, 13 digits)"],
    ["to=%2B44+20+7946+0958&lang=en", "phone", "+4…(phone, 12 digits)"],
    ["call%20%2B1%20(415)%20555-2671", "phone", "+1…(phone, 11 digits)"],
    ["/subscribe?e=jane%2Bnews%40gmail.com", "email", "j***@g***.com"],
  ])("%s → %s, masked as %s", (text, category, mask) => {
    expect(categories(text)).toEqual([category]);
    expect(masked(text)).toEqual([mask]);
  });

  it("a more specific detector wins over a general one", () => {
    expect(categories("https://user:pass@mail.example.com/x")).toEqual(["url-credentials"]);
    expect(categories(`Authorization: Bearer ${JWT}`)).toEqual(["bearer-token"]);
    expect(categories(`https://x.example.com/cb?token=${JWT}`)).toEqual(["jwt"]);
  });

  it.each([
    ["Luhn-failing card-like number", "4242 4242 4242 4241"],
    ["unknown IIN", "9999999999999995"],
    ["invalid IBAN check digits", "DE00 3704 0044 0532 0130 00"],
    ["SSN with area 666", "666-12-3456"],
    ["bare digit run (not a phone)", "call 4155552671"],
    ["timezone offset", "2026-01-01T10:00:00+01:00"],
    ["bind parameter", "SELECT * FROM users WHERE password = ?"],
    ["positional parameter", "UPDATE users SET password=$1"],
    ["bearer in prose", "Bearer authentication required for this endpoint"],
    ["git ssh url without password", "ssh://git@github.com/org/repo.git"],
    ["retina image", "icon@2x.png"],
    ["MAC address", "aa:bb:cc:dd:ee:ff"],
    ["scope operator", "std::vector"],
    ["loopback", "127.0.0.1:8080"],
    ["decimal after a card-like run", "amount 4111111111111111.25"],
    ["five-part version", "build 10.1.2.3.4"],
    // Found on SDK-generated realistic estates (false positives before):
    ["retina image, newer formats", "/images/hero-0@2x.avif and hero@3x.heic"],
    ["machine identity", "ssh ec2-user@ip-10-0-1-20.eu-west-1.compute.internal"],
    ["local mailbox", "postmaster@localhost.localdomain"],
    ["system sender", "noreply@shop.example.com"],
    ["browser version", "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0.0.0 Safari/537.36"],
    [".NET assembly version", "Newtonsoft.Json, Version=13.0.0.0, Culture=neutral"],
    ["IPv6 loopback written out", "connect to localhost/0:0:0:0:0:0:0:1:6379 failed"],
    ["Basic in prose", "Basic authentication required"],
    ["Basic realm", 'WWW-Authenticate: Basic realm="shop"'],
    ["Basic with base64 that is not user:password", "Basic dGhpcyBpcyBqdXN0IHRleHQ="],
    ["signed amount", "amount +125000000"],
    // A v4 UUID whose first three groups hold only digits: 8-4-4 is no card grouping (1 in 57 000 UUIDs).
    ["UUID with all-digit leading groups", "49641912-4376-4787-a2e2-1d598c57dc48"],
    ["card digits grouped as no card is printed", "41111111-1111-1111"],
    ["card-like groups running on into a hex ID", "4111-1111-1111-1111-a2e2"],
    // An upper-case hex ID that starts like an IBAN: the head is not cut off at DE's 22 characters.
    ["upper-case hex ID", "DE732D2E433EC56F24B1C71B106E934D"],
    ["upper-case hex ID in a header", "x-request-id: DE732D2E433EC56F24B1C71B106E934D"],
    // Signed decimals: a `.` before a decimal tail, or a number that goes on after `,`, `%` or `/`.
    ["signed decimal", "ledger.delta +12345.678"],
    ["signed amount with cents", "+1234567.89 EUR"],
    ["signed amount with a decimal comma", "+12345678,90 EUR"],
    ["coordinates", "+40.712776,-74.005974"],
    ["ISO 6709 location", "+40.6894-074.0447/"],
    ["epoch seconds with a fraction", "+1714560000.123"],
    ["signed percentage", "+12.34567890%"],
    ["signed fraction", "+12345678/9"],
    ["URL-encoded signed decimal", "?delta=%2B12345.678"],
  ])("no match: %s", (_name, text) => {
    expect(categories(text)).toEqual([]);
  });

  it("a password in a logged JSON body is a secret-param, masked; a bind parameter or masked value there is not", () => {
    expect(findPii('{"username":"jdoe","password":"hunter2!Secret"}', BUILTIN_DETECTORS).map((m) => [m.category, m.masked])).toEqual([["secret-param", '"password":"***"']]);
    expect(categories('{"password": "***"}')).toEqual([]);
    // The same names as in `name=value`: a presigned URL's signature logged as JSON too.
    expect(findPii('{"X-Amz-Signature": "8f3b2e1d0c9a77"}', BUILTIN_DETECTORS).map((m) => m.masked)).toEqual(['"X-Amz-Signature":"***"']);
    expect(categories('{"password": "?"}')).toEqual([]);
    expect(categories('{"password_policy": "strict"}')).toEqual([]);
  });

  it("an e-mail address URL-encoded in a query or path (%40) is an email, masked as one", () => {
    expect(masked("https://shop.example.com/v1/users?email=jane.doe%40gmail.com&page=2")).toEqual(["j***@g***.com"]);
    expect(masked("/v1/users/jane.doe%40gmail.com/orders")).toEqual(["j***@g***.com"]);
    expect(categories("/assets/hero%402x.png")).toEqual([]);
    // Other escapes in the local part: a plus-addressed mailbox; decoded, a system mailbox is still one.
    expect(masked("/subscribe?e=jane%2Bnews%40gmail.com&list=weekly")).toEqual(["j***@g***.com"]);
    expect(categories("reply-to=noreply%2Bbounce%40shop.example.com")).toEqual([]);
  });

  it("a list of phone numbers is a list; a number that goes on as a number is not a phone", () => {
    expect(masked("+14155552671,+14155552672")).toEqual(["+1…(phone, 11 digits)", "+1…(phone, 11 digits)"]);
    expect(masked("phone=%2B14155552671%2C%2B14155552672")).toEqual(["+1…(phone, 11 digits)", "+1…(phone, 11 digits)"]);
    expect(categories("?lat=%2B40.712776%2C-74.005974")).toEqual([]);
    // A number never starts without `+` and a country code: national forms are not detected.
    expect(categories("(415) 555-2671")).toEqual([]);
  });

  it("a password with no user name in a URL is url-credentials, masked whole", () => {
    expect(findPii("redis://:Sup3rS3cretPass@redis-master.shop.svc:6379", BUILTIN_DETECTORS).map((m) => [m.category, m.masked])).toEqual([
      ["url-credentials", "redis://***:***@redis-master.shop.svc:6379"],
    ]);
    // A person's address on a real domain still counts.
    expect(categories("jane.doe@gmail.com")).toEqual(["email"]);
  });

  it("a full stop that ends the sentence does not hide the value before it", () => {
    // Alert texts end with a full stop that tracelint itself adds: these went out unmasked.
    expect(masked("Payment declined for card 4111111111111111.")).toEqual(["**** **** **** 1111"]);
    expect(masked("card 4111 1111 1111 1111. Retry later")).toEqual(["**** **** **** 1111"]);
    expect(categories("connected from 203.0.113.7.")).toEqual(["ip-address"]);
    // A slash before an address is a URL, not a product/version pair (the detector and redaction
    // keep URL hosts; only findings skip them, see rules-pii).
    expect(categories("Tempo at http://10.1.2.3:3200 unreachable")).toEqual(["ip-address"]);
    expect(redactText("The audit could not run: card 4012888888881881.")).not.toContain("4012888888881881");
  });
});

describe("secret key names", () => {
  it("recognises secret keys by their last segment and ignores token counts", () => {
    for (const key of ["http.request.header.authorization", "http.request.header.cookie", "db.password", "user_token", "x-api-key", "client_secret", "app.card.cvv", "payment.cvc", "app.otp_code", "app.passphrase"]) {
      expect(isSecretKey(key), key).toBe(true);
    }
    for (const key of ["gen_ai.usage.input_tokens", "http.route", "cache.key", "tokenizer.name", "password.length.min"]) {
      expect(isSecretKey(key), key).toBe(false);
    }
    // Positions in a listing or a change stream, not credentials.
    for (const key of ["app.pagination.next_page_token", "page_token", "db.mongodb.resume_token", "gcp.continuation_token", "sync_token"]) {
      expect(isSecretKey(key), key).toBe(false);
    }
  });

  it("reads a key's last segment as words: camelCase, dashes and underscores name the same secret", () => {
    expect(keyWords("app.accessToken")).toEqual(["access", "token"]);
    expect(keyWords("http.request.header.X-API-Key")).toEqual(["x", "api", "key"]);
    expect(keyWords("APIKey")).toEqual(["api", "key"]);
    for (const key of ["app.accessToken", "db.userPassword", "oauth.clientSecret", "auth.refreshToken", "app.apiKey", "http.request.header.x-auth-token", "IDToken", "DB_PASSWORD"]) {
      expect(isSecretKey(key), key).toBe(true);
    }
    // Tokens that are not credentials: listing cursors, idempotency keys, fencing tokens, .NET CancellationToken.
    for (const key of ["aws.s3.list.next_token", "pagination.nextToken", "s3.NextContinuationToken", "payment.idempotency_token", "dotnet.cancellation_token", "lock.fencing_token", "app.cancellationToken", "gen_ai.request.max_tokens", "k8s.secret.name"]) {
      expect(isSecretKey(key), key).toBe(false);
    }
    // Configured names match the same way, with or without a prefix.
    expect(isSecretKey("http.request.header.x-internal-signature", ["x-internal-signature"])).toBe(true);
    expect(isSecretKey("app.internalSignature", ["internal_signature"])).toBe(true);
    expect(isSecretKey("app.signature", ["other.signature"])).toBe(false);
  });

  it("a token type, a working directory, an OTP release or a provider class under a secret-named key is not a secret", () => {
    expect(isNonSecretValue("oauth.token", "Bearer")).toBe(true);
    expect(isNonSecretValue("oauth.accessToken", "DPoP")).toBe(true);
    expect(isNonSecretValue("sts.token", "urn:ietf:params:oauth:token-type:jwt")).toBe(true);
    expect(isNonSecretValue("shell.pwd", "/home/app")).toBe(true);
    expect(isNonSecretValue("process.env.PWD", "C:\\srv\\app")).toBe(true);
    expect(isNonSecretValue("erlang.otp", "26")).toBe(true);
    expect(isNonSecretValue("erlang.otp", "OTP-26.2.1")).toBe(true);
    expect(isNonSecretValue("aws.credentials", "WebIdentityTokenCredentialsProvider")).toBe(true);
    expect(isNonSecretValue("aws.credentials", "com.amazonaws.auth.DefaultAWSCredentialsProviderChain")).toBe(true);
    // The same values under other secret keys, and real secrets under these keys, still count.
    expect(isNonSecretValue("db.password", "/home/app")).toBe(false);
    expect(isNonSecretValue("mysql_pwd", "/secret")).toBe(false);
    expect(isNonSecretValue("shell.pwd", "hunter2")).toBe(false);
    expect(isNonSecretValue("app.otp", "482913")).toBe(false);
    expect(isNonSecretValue("oauth.token", "tok_8f3a9c2b7e")).toBe(false);
    expect(isNonSecretValue("aws.credentials", "AKIDEXAMPLE:wJalrXUtnFEMI")).toBe(false);
    expect(isNonSecretValue("db.password", "CorrectHorseBatteryStaple")).toBe(false);
    // Masked values and state words, as before.
    expect(isNonSecretValue("db.password", "[REDACTED]")).toBe(true);
    expect(isNonSecretValue("app.auth.token", "absent")).toBe(true);
  });

  it("a state word under a secret-named key is not a leak; a one-word value under a password key may be a weak password", () => {
    expect(looksLikeStateValue("app.auth.reset_password", "email_sent")).toBe(true);
    expect(looksLikeStateValue("app.auth.token", "absent")).toBe(true);
    expect(looksLikeStateValue("db.password", "not set")).toBe(true);
    expect(looksLikeStateValue("db.password", "letmein")).toBe(false);
    expect(looksLikeStateValue("app.auth.token", "tok_8f3a9c")).toBe(false);
    expect(looksLikeStateValue("session_token", "qwhvtzkpxmdrlsbn")).toBe(false); // lower-case, but random and long
  });
});

describe("redactText", () => {
  it("masks every detected value in free text and keeps the rest", () => {
    expect(redactText("GET /users/jane.doe@example.com/cards/4242424242424242?token=abc123")).toBe(
      "GET /users/j***@e***.com/cards/**** **** **** 4242?token=***",
    );
    expect(redactText(`login ok for 123-45-6789 with ${JWT}`)).toBe("login ok for ***-**-**** with eyJ…(jwt, 3 parts)");
    expect(redactText("GET /orders/{id}")).toBe("GET /orders/{id}");
  });

  it("masks URL-encoded phone numbers and addresses, as other rules quote span names through it", () => {
    expect(redactText("send sms to %2B4915112345678 attempt 7")).toBe("send sms to +4…(phone, 13 digits) attempt 7");
    expect(redactText("GET /verify?phone=%2B14155552671&e=jane%2Bnews%40gmail.com")).toBe("GET /verify?phone=+1…(phone, 11 digits)&e=j***@g***.com");
    // And leaves signed decimals and UUIDs alone.
    expect(redactText("order 49641912-4376-4787-a2e2-1d598c57dc48 delta +12345.678")).toBe("order 49641912-4376-4787-a2e2-1d598c57dc48 delta +12345.678");
  });
});
