# 错误信息：每个稳定错误码一条。{ $detail } 为可安全展示的补充说明。
error-invalid_input = 输入有误：{ $field } — { $detail }
error-malformed_request = 请求格式不正确：{ $detail }
error-unauthenticated = 请先登录。
error-login_failed = 用户名或密码不正确。
error-rate_limited = 尝试次数过多，请稍后再试。
error-account_disabled = 该账号已停用。
error-forbidden = 您没有权限执行此操作。
error-not_found = 未找到所请求的对象。
error-outside_territory = 该位置不在本市辖区内。{ $detail }
error-conflict = 操作冲突：{ $detail }
error-import_rejected = 导入被拒绝，未导入任何数据：{ $detail }
error-internal = 服务器内部错误，请稍后再试。如问题持续，请联系管理员并提供请求编号。
error-payload_too_large = 内容过大：{ $detail }
error-unsupported_media_type = 不支持的文件类型：{ $detail }
error-unavailable = 服务暂不可用，请稍后再试。
nearest-unit = 最近的单元：{ $name }（{ $code }）。
