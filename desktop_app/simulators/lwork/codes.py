"""The simulator's error codes and their words, as ``/v1/api/sys/error/code`` lists them.

``-1`` and the PUB_AUTH e-mail/phone codes are LW-DOCS's; the other PUB_AUTH codes come
from LWork's client apps (research notes, UNCONFIRMED). LWork documents no code for the
rest, so the simulator uses its own ``TWAPI_*`` codes (UNCONFIRMED): a real tenant's
list differs, which is why clients read the list instead of hard-coding texts.
"""

from __future__ import annotations

SUCCESS = "m0000000"
SYSTEM = "-1"
EMAIL_FORMAT = "PUB_AUTH_0000001"
PHONE_FORMAT = "PUB_AUTH_0000002"
WRONG_PASSWORD = "PUB_AUTH_0000017"
TOKEN_INVALID = "PUB_AUTH_0000018"
TOKEN_EMPTY = "PUB_AUTH_0000029"
ACCOUNT_UNKNOWN = "TWAPI_0000001"
BAD_VENDOR = "TWAPI_0000002"
MISSING_HEADER = "TWAPI_0000003"
AMOUNT_RANGE = "TWAPI_0000004"
BAD_SIGNATURE = "TWAPI_0000005"
TRANSFER_SCOPE = "TWAPI_0000006"
INSUFFICIENT = "TWAPI_0000007"
USER_UNKNOWN = "TWAPI_0000008"
DEPOSIT_UNKNOWN = "TWAPI_0000009"
PAY_CURRENCY = "TWAPI_0000010"
SERVER_UNKNOWN = "TWAPI_0000011"
PARAMETER = "TWAPI_0000012"
DEMO_TYPE_UNKNOWN = "TWAPI_0000013"
TENANT_UNKNOWN = "TWAPI_0000014"
NOT_PAID = "TWAPI_0000015"
ALREADY_PAID = "TWAPI_0000016"
CURRENCY = "TWAPI_0000017"
DISABLED = "TWAPI_0000018"

ERROR_TEXTS: dict[str, tuple[str, str]] = {  # code -> (en-US, zh-CN)
    SYSTEM: ("System error", "系统错误"),
    EMAIL_FORMAT: ("Email format error", "邮箱格式错误"),
    PHONE_FORMAT: ("Mobile format error", "手机格式错误"),
    WRONG_PASSWORD: ("Wrong username or password", "用户名或密码错误"),
    TOKEN_INVALID: ("Token expired or invalid", "token已失效"),
    TOKEN_EMPTY: ("Token is empty", "token为空"),
    ACCOUNT_UNKNOWN: ("The trading account does not exist", "交易账户不存在"),
    BAD_VENDOR: ("The platform must be MT4 or MT5", "交易平台必须为MT4或MT5"),
    MISSING_HEADER: ("A required request header is missing", "缺少请求头"),
    AMOUNT_RANGE: ("The amount is out of the allowed range", "金额超出范围"),
    BAD_SIGNATURE: ("Signature verification failed", "签名验证失败"),
    TRANSFER_SCOPE: (
        "Transfers are only possible between accounts of the same user on the same "
        "platform", "只能在同一用户同一平台的账户之间转账"),
    INSUFFICIENT: ("Insufficient free margin", "可用余额不足"),
    USER_UNKNOWN: ("The user does not exist", "用户不存在"),
    DEPOSIT_UNKNOWN: ("The deposit application does not exist", "入金申请不存在"),
    PAY_CURRENCY: ("The payment currency is not supported", "不支持该支付货币"),
    SERVER_UNKNOWN: ("The server does not exist", "服务器不存在"),
    PARAMETER: ("Parameter error", "参数错误"),
    DEMO_TYPE_UNKNOWN: ("The demo account type does not exist", "模拟账户类型不存在"),
    TENANT_UNKNOWN: ("The tenant does not exist", "租户不存在"),
    NOT_PAID: ("Payment not successful; the status was not updated", "支付未成功"),
    ALREADY_PAID: ("The deposit has already been paid", "该入金已支付"),
    CURRENCY: ("The currency does not match the account's currency", "货币与账户货币不一致"),
    DISABLED: ("The trading account is disabled", "交易账户已禁用"),
}


def error_list(lang: str) -> list[dict[str, str]]:
    index = 1 if lang.startswith("zh") else 0
    return [{"code": code, "value": texts[index]} for code, texts in ERROR_TEXTS.items()]
